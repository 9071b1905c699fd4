/**
 * Well-known senders that UK school staff get mail from, and that phishing therefore imitates. `domains`
 * are the hosts the brand really sends and links from (subdomains included); `aliases` are other names it goes by
 * in a display name. Schools can pass their own list; this one is the default.
 */
export interface Brand {
  name: string;
  domains: string[];
  aliases?: string[];
}

export const DEFAULT_BRANDS: Brand[] = [
  {
    name: 'Microsoft',
    aliases: ['Microsoft 365', 'Office 365', 'Outlook', 'OneDrive', 'SharePoint', 'Microsoft Teams'],
    domains: ['microsoft.com', 'microsoftonline.com', 'microsoft365.com', 'office.com', 'office365.com', 'outlook.com', 'live.com', 'sharepoint.com', 'onedrive.com', '1drv.ms', 'skype.com', 'azure.com', 'cloud.microsoft', 'microsoftstore.com', 'msn.com', 'hotmail.com'],
  },
  {
    name: 'Google',
    aliases: ['Gmail', 'Google Workspace', 'Google Drive', 'Google Classroom', 'Google Docs'],
    domains: ['google.com', 'google.co.uk', 'googlemail.com', 'gmail.com', 'youtube.com', 'googleusercontent.com', 'gstatic.com', 'googleapis.com', 'g.co', 'withgoogle.com'],
  },
  { name: 'Apple', aliases: ['iCloud', 'Apple ID', 'App Store', 'iTunes'], domains: ['apple.com', 'icloud.com', 'me.com', 'itunes.com', 'apple.co'] },
  { name: 'PayPal', domains: ['paypal.com', 'paypal.co.uk', 'paypal.me', 'paypalobjects.com', 'paypal-communication.com'] },
  {
    name: 'DfE',
    aliases: ['Department for Education', 'Dept for Education'],
    domains: ['education.gov.uk', 'service.gov.uk', 'gov.uk', 'digital.education.gov.uk'],
  },
  { name: 'HMRC', aliases: ['HM Revenue and Customs', 'HM Revenue & Customs'], domains: ['hmrc.gov.uk', 'gov.uk', 'service.gov.uk'] },
  { name: 'GOV.UK', aliases: ['GOV UK'], domains: ['gov.uk', 'service.gov.uk'] },
  { name: 'Ofsted', domains: ['ofsted.gov.uk', 'gov.uk', 'service.gov.uk'] },
  { name: 'Teachers Pensions', aliases: ["Teachers' Pensions", 'Teachers Pension Scheme'], domains: ['teacherspensions.co.uk'] },
  { name: 'Royal Mail', domains: ['royalmail.com', 'royalmail.co.uk', 'royalmailgroup.com', 'parcelforce.com', 'parcelforce.co.uk'] },
  { name: 'DPD', domains: ['dpd.co.uk', 'dpd.com', 'dpdlocal.co.uk', 'dpdgroup.com'] },
  { name: 'Evri', aliases: ['Hermes'], domains: ['evri.com', 'myhermes.co.uk'] },
  { name: 'DHL', domains: ['dhl.com', 'dhl.co.uk', 'dhl.de'] },
  { name: 'Amazon', aliases: ['Amazon Prime', 'Amazon Business', 'AWS'], domains: ['amazon.co.uk', 'amazon.com', 'amazon.de', 'amazon.fr', 'amazonaws.com', 'aws.amazon.com', 'primevideo.com'] },
  { name: 'DocuSign', domains: ['docusign.com', 'docusign.net'] },
  { name: 'Adobe', aliases: ['Adobe Sign', 'Adobe Acrobat'], domains: ['adobe.com', 'adobesign.com', 'echosign.com', 'adobelogin.com'] },
  { name: 'Dropbox', domains: ['dropbox.com', 'dropboxmail.com', 'db.tt', 'dropboxusercontent.com'] },
  { name: 'WeTransfer', domains: ['wetransfer.com', 'we.tl'] },
  { name: 'Zoom', domains: ['zoom.us', 'zoom.com'] },
  { name: 'ParentPay', domains: ['parentpay.com', 'parentpay.co.uk'] },
  { name: 'ParentMail', domains: ['parentmail.co.uk', 'pmx.parentmail.co.uk'] },
  { name: 'Arbor', aliases: ['Arbor Education'], domains: ['arbor-education.com', 'arbor.sc', 'arbor.education'] },
  { name: 'Bromcom', aliases: ['MyChildAtSchool', 'MCAS'], domains: ['bromcom.com', 'mychildatschool.com'] },
  { name: 'SIMS', aliases: ['Capita SIMS', 'ESS SIMS', 'SIMS Parent', 'Capita'], domains: ['sims.co.uk', 'ess-sims.co.uk', 'capita-sims.co.uk', 'capita.com', 'capita.co.uk', 'educationsoftwaresolutions.co.uk'] },
  { name: 'CPOMS', domains: ['cpoms.net', 'cpoms.co.uk'] },
  { name: 'Egress', domains: ['egress.com'] },
  { name: 'Lloyds Bank', aliases: ['Lloyds'], domains: ['lloydsbank.com', 'lloydsbank.co.uk', 'lloydsbankinggroup.com'] },
  { name: 'Barclays', domains: ['barclays.co.uk', 'barclays.com'] },
  { name: 'NatWest', domains: ['natwest.com'] },
  { name: 'HSBC', domains: ['hsbc.co.uk', 'hsbc.com'] },
  { name: 'Netflix', domains: ['netflix.com'] },
];
